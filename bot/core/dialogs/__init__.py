"""The dialogs a citizen has with Opora: one module per feature of the main menu."""
