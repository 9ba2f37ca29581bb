-- Invoices, orders and webhook deliveries by status, kept as the rows change (the
-- operator's page reads these instead of counting every row; issue #15). A trigger on
-- each table appends a signed delta in the transaction of the insert, status change
-- or delete, so the sum per (table, status) is exact whenever it is read; the gateway
-- folds the deltas into one row per (table, status) now and then
-- (`store::counts::fold`). The PostgreSQL file has the same table; there the insert
-- and delete triggers run once per statement.
CREATE TABLE gw_status_counts (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    what    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    n       BIGINT  NOT NULL
);

INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_invoices', status, COUNT(*) FROM gw_invoices GROUP BY status;
CREATE TRIGGER gw_invoices_count_insert AFTER INSERT ON gw_invoices BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_invoices', NEW.status, 1);
END;
CREATE TRIGGER gw_invoices_count_delete AFTER DELETE ON gw_invoices BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_invoices', OLD.status, -1);
END;
CREATE TRIGGER gw_invoices_count_update AFTER UPDATE OF status ON gw_invoices WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_invoices', OLD.status, -1), ('gw_invoices', NEW.status, 1);
END;

INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_orders', status, COUNT(*) FROM gw_orders GROUP BY status;
CREATE TRIGGER gw_orders_count_insert AFTER INSERT ON gw_orders BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_orders', NEW.status, 1);
END;
CREATE TRIGGER gw_orders_count_delete AFTER DELETE ON gw_orders BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_orders', OLD.status, -1);
END;
CREATE TRIGGER gw_orders_count_update AFTER UPDATE OF status ON gw_orders WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_orders', OLD.status, -1), ('gw_orders', NEW.status, 1);
END;

INSERT INTO gw_status_counts (what, status, n)
    SELECT 'gw_deliveries', status, COUNT(*) FROM gw_deliveries GROUP BY status;
CREATE TRIGGER gw_deliveries_count_insert AFTER INSERT ON gw_deliveries BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_deliveries', NEW.status, 1);
END;
CREATE TRIGGER gw_deliveries_count_delete AFTER DELETE ON gw_deliveries BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_deliveries', OLD.status, -1);
END;
CREATE TRIGGER gw_deliveries_count_update AFTER UPDATE OF status ON gw_deliveries WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO gw_status_counts (what, status, n) VALUES ('gw_deliveries', OLD.status, -1), ('gw_deliveries', NEW.status, 1);
END;
