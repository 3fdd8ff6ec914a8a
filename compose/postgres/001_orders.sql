-- The sample tenant database: an orders table to capture (see docs/API.md, "Change data capture").
CREATE TABLE public.orders (
  order_id int PRIMARY KEY,
  customer text NOT NULL,
  amount numeric(10,2),
  placed_at timestamptz NOT NULL DEFAULT now(),
  paid boolean
);
ALTER ROLE shop_user REPLICATION;
INSERT INTO public.orders (order_id, customer, amount, placed_at, paid)
SELECT i, 'customer ' || (i % 97), (i % 1000) / 4.0, timestamptz '2026-03-01 08:00:00+00' + i * interval '1 minute', i % 3 = 0
FROM generate_series(1, 1000) AS i;
