-- Invoices, orders and webhook deliveries by status, kept as the rows change (the
-- operator's page reads these instead of counting every row; issue #15). A trigger on
-- each table appends a signed delta in the transaction of the insert, status change
-- or delete, so the sum per (table, status) is exact whenever it is read; the gateway
-- folds the deltas into one row per (table, status) now and then
-- (`store::counts::fold`). The SQLite file has the same table and triggers.
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

CREATE FUNCTION gw_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO gw_status_counts (what, status, n) VALUES (TG_TABLE_NAME, NEW.status, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO gw_status_counts (what, status, n) VALUES (TG_TABLE_NAME, OLD.status, -1);
    ELSE
        INSERT INTO gw_status_counts (what, status, n)
            VALUES (TG_TABLE_NAME, OLD.status, -1), (TG_TABLE_NAME, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER gw_invoices_count_insert_delete AFTER INSERT OR DELETE ON gw_invoices
    FOR EACH ROW EXECUTE FUNCTION gw_status_count();
CREATE TRIGGER gw_invoices_count_update AFTER UPDATE OF status ON gw_invoices
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count();
CREATE TRIGGER gw_orders_count_insert_delete AFTER INSERT OR DELETE ON gw_orders
    FOR EACH ROW EXECUTE FUNCTION gw_status_count();
CREATE TRIGGER gw_orders_count_update AFTER UPDATE OF status ON gw_orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count();
CREATE TRIGGER gw_deliveries_count_insert_delete AFTER INSERT OR DELETE ON gw_deliveries
    FOR EACH ROW EXECUTE FUNCTION gw_status_count();
CREATE TRIGGER gw_deliveries_count_update AFTER UPDATE OF status ON gw_deliveries
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gw_status_count();
