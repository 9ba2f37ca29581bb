-- Invoices, orders and webhook deliveries by status, kept as the rows change (the
-- operator's page reads these instead of counting every row; issue #15). A trigger on
-- each table appends a signed delta in the transaction of the insert, status change
-- or delete, so the sum per (table, status) is exact whenever it is read; the gateway
-- folds the deltas into one row per (table, status) now and then
-- (`store::counts::fold`). The SQLite file has the same table, with triggers per row.
CREATE TABLE gw_status_counts (
    seq     BIGSERIAL PRIMARY KEY,
    what    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    n       BIGINT  NOT NULL
);

INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_invoices', status, COUNT(*) FROM gw_invoices GROUP BY status;
INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_orders', status, COUNT(*) FROM gw_orders GROUP BY status;
INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_deliveries', status, COUNT(*) FROM gw_deliveries GROUP BY status;

-- Inserts and deletes: one statement-level trigger each, so a multi-row insert (a
-- batch of invoices, their deliveries) appends one delta per status, not per row.
CREATE FUNCTION gw_status_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gw_status_counts (what, status, n)
        SELECT TG_TABLE_NAME, status, COUNT(*) FROM inserted GROUP BY status;
    RETURN NULL;
END
$$;
CREATE FUNCTION gw_status_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gw_status_counts (what, status, n)
        SELECT TG_TABLE_NAME, status, -COUNT(*) FROM deleted GROUP BY status;
    RETURN NULL;
END
$$;
-- Status changes: per row, only when the status differs (transition tables cannot
-- be combined with a column list).
CREATE FUNCTION gw_status_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gw_status_counts (what, status, n)
        VALUES (TG_TABLE_NAME, OLD.status, -1), (TG_TABLE_NAME, NEW.status, 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER gw_invoices_count_insert AFTER INSERT ON gw_invoices
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_inserted();
CREATE TRIGGER gw_invoices_count_delete AFTER DELETE ON gw_invoices
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_deleted();
CREATE TRIGGER gw_invoices_count_update AFTER UPDATE OF status ON gw_invoices
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count_changed();

CREATE TRIGGER gw_orders_count_insert AFTER INSERT ON gw_orders
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_inserted();
CREATE TRIGGER gw_orders_count_delete AFTER DELETE ON gw_orders
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_deleted();
CREATE TRIGGER gw_orders_count_update AFTER UPDATE OF status ON gw_orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count_changed();

CREATE TRIGGER gw_deliveries_count_insert AFTER INSERT ON gw_deliveries
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_inserted();
CREATE TRIGGER gw_deliveries_count_delete AFTER DELETE ON gw_deliveries
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION gw_status_count_deleted();
CREATE TRIGGER gw_deliveries_count_update AFTER UPDATE OF status ON gw_deliveries
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count_changed();
