"""`SqliteStore`: the embedded default store (SQLite WAL for operational data, Parquet for old positions).

One class per domain, each in its own module and each a `SqliteDb` over the same connections
(`store/connection.py`); `SqliteStore` composes them. A new domain adds its module and one base here.
"""

from __future__ import annotations

from seawatch.store.alert_states import SqliteAlertStates
from seawatch.store.assets import SqliteAssets
from seawatch.store.audit import SqliteAudit, SqliteSightings
from seawatch.store.cases import SqliteCases
from seawatch.store.chat import SqliteChat
from seawatch.store.events import SqliteEvents
from seawatch.store.ingest import SqliteIngest
from seawatch.store.partner import SqlitePartnerData
from seawatch.store.positions import SqlitePositions
from seawatch.store.profile import SqliteProfiles
from seawatch.store.rejects import SqliteRejects
from seawatch.store.users import SqliteUsers
from seawatch.store.vessels import SqliteVessels
from seawatch.store.zones import SqliteWatchlist, SqliteZones


class SqliteStore(
    SqliteIngest,
    SqlitePositions,
    SqliteVessels,
    SqliteEvents,
    SqlitePartnerData,
    SqliteZones,
    SqliteWatchlist,
    SqliteSightings,
    SqliteAudit,
    SqliteUsers,
    SqliteAssets,
    SqliteAlertStates,
    SqliteProfiles,
    SqliteRejects,
    SqliteCases,
    SqliteChat,
):
    """Embedded store in `data_dir` (`seawatch.db` + `history/`); implements `store.base.Store`."""
