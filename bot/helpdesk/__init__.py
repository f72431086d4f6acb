"""Help requests: staff queues, staff chats, requests and their messages, and the outbox.

Channel-free: it stores and decides; the core renders texts and the channels deliver them."""
