"""Near me: the nearest offices to a shared location or a chosen town."""

from bot.core.dialogs.cards import office_lines
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
    replies: list[Reply] = [Text(header)]
    now = turn.services.now()
    for office in offices:
        buttons = [(Button(pick(s.name, _.lang) or s.id, Card(s.id).pack()),) for s in office.services[:3]]
        replies.append(Text("\n".join(office_lines(_, office, now)), rows(*buttons)))
        if not office.approximate and office.latitude is not None and office.longitude is not None:
            replies.append(
                Venue(
                    office.latitude,
                    office.longitude,
                    pick(office.name, _.lang) or "",
                    pick(office.address, _.lang) or pick(office.city, _.lang) or "",
                )
            )
    turn.state.data.pop("back", None)
    replies.append(
        Text(
            _("Choose a service above to see the details."),
            rows((Button(_("👤 Talk to staff"), Handoff().pack()),), nav(turn, Near().pack())),
        )
    )
    return replies
