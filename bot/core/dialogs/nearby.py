"""Near me: the nearest offices to a shared location or a chosen town, in one message (and a
map pin for each office whose own place is known)."""

from bot.core.dialogs.cards import KEYCAPS, office_lines
from bot.core.dialogs.common import StaleButton, Turn, nav, screen
from bot.core.events import Button, Reply, Text, Venue, rows
from bot.core.payloads import Card, Handoff, Near
from catalog.search.tuning import NEAR_ENOUGH_KM
from catalog.texts import pick

NEAREST = 3


async def ask_location(turn: Turn, pressed: Near | None = None) -> list[Reply]:
    if pressed and pressed.place:
        return await town(turn, pressed.place)
    _ = turn._
    places = await turn.services.directory.places()
    buttons = [Button(pick(p.name, _.lang) or p.id, Near(p.id).pack()) for p in places if p.latitude is not None]
    return [
        Text(
            _("Share your location and I will show the 3 nearest offices."),
            request="location",
            request_label=_("📍 Send my location"),
        ),
        screen(turn, _("Or choose your town:"), buttons, per_row=2),
    ]


async def town(turn: Turn, place_id: str) -> list[Reply]:
    place = await turn.services.directory.place(place_id)
    if place is None or place.latitude is None or place.longitude is None:
        raise StaleButton(place_id)
    return await nearest(turn, (place.latitude, place.longitude))


async def nearest(turn: Turn, point: tuple[float, float]) -> list[Reply]:
    _ = turn._
    offices = await turn.services.directory.nearest(*point, limit=NEAREST)
    if not offices:
        return [Text(_("I know of no offices with a known place yet."), rows(nav(turn)))]
    header = _.plural("The nearest office:", "The %(n)d nearest offices:", len(offices))
    first = offices[0]
    if first.distance_km is not None and first.distance_km > NEAR_ENOUGH_KM:  # not "near": said so
        header = _(
            "Nothing I know of is near you: the nearest office is in %(town)s, about %(distance)s away. "
            "Opora does not cover your area yet; a member of staff may still help.",
            town=pick(first.city, _.lang) or "",
            distance=_.km(round(first.distance_km)),
        )
    now = turn.services.now()
    blocks = [header]
    buttons: list[tuple[Button, ...]] = []
    venues: list[Reply] = []
    shown: set[str] = set()
    for i, office in enumerate(offices):
        mark = KEYCAPS[i] if i < len(KEYCAPS) else "🏢"
        blocks.append("\n".join(office_lines(_, office, now, mark=mark)))
        for service in office.services[:3]:
            if service.id not in shown:  # a service of two offices gets one button, with the first one's number
                shown.add(service.id)
                buttons.append((Button(f"{mark} {pick(service.name, _.lang) or service.id}", Card(service.id).pack()),))
        if not office.approximate and office.latitude is not None and office.longitude is not None:
            venues.append(
                Venue(
                    office.latitude,
                    office.longitude,
                    pick(office.name, _.lang) or "",
                    pick(office.address, _.lang) or pick(office.city, _.lang) or "",
                )
            )
    turn.state.data.pop("back", None)
    if buttons:
        blocks.append(_("Tap a service to see its details."))
    buttons += [(Button(_("👤 Talk to staff"), Handoff().pack()),), nav(turn, Near().pack())]
    return [Text("\n\n".join(blocks), rows(*buttons)), *venues]
