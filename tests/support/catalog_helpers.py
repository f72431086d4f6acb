"""Reading back what a catalogue database holds, to compare whole contents."""

from pathlib import Path

from sqlalchemy import select

from catalog.hsds import columns
from catalog.models import CATALOG_MODELS

# A copy of the official Open Referral example datapackage (CC BY-SA 4.0), unchanged.
HSDS_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "hsds-example"


async def snapshot(sessions) -> dict[str, list[dict]]:
    out = {}
    async with sessions() as session:
        for model in CATALOG_MODELS:
            rows = (await session.scalars(select(model).order_by(model.id))).all()
            out[model.__tablename__] = [{k: getattr(r, k) for k in columns(model)} for r in rows]
    return out
