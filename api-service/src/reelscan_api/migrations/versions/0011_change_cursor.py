"""live updates: each task and video row says which transaction last changed it

``GET /events`` (api-service/events.py) streams the rows changed since a cursor. A
sequence number would not do as that cursor: numbers are taken in one order and
committed in another, so a reader that has seen 6 can still be handed 5 later. The
transaction id (``pg_current_xact_id()``, 64 bits, never wraps) can: every transaction
with an id under the oldest one still running (``pg_snapshot_xmin``) has ended, so the
rows they changed are final and a reader that has read up to that horizon has missed
nothing. A trigger sets ``changed_xid`` on every insert and update, whoever writes
(the API, workers, migrations); rows from before this migration keep 0.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_TABLES = ("videos", "tasks")


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION reelscan_set_changed_xid() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_xid := pg_current_xact_id()::text::bigint;
            RETURN NEW;
        END $$
    """)
    for table in _TABLES:
        op.add_column(table, sa.Column('changed_xid', sa.BigInteger(), server_default='0', nullable=False))
        op.create_index(f'ix_{table}_changed_xid', table, ['changed_xid'])
        op.execute(f"CREATE TRIGGER {table}_changed_xid BEFORE INSERT OR UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION reelscan_set_changed_xid()")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER {table}_changed_xid ON {table}")
        op.drop_index(f'ix_{table}_changed_xid', table_name=table)
        op.drop_column(table, 'changed_xid')
    op.execute("DROP FUNCTION reelscan_set_changed_xid()")
