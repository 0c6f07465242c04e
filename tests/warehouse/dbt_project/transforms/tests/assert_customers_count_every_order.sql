{{ config(tags=['reconciliation']) }}
-- Reads two models: it runs once both are built.
select c.customer_id, c.number_of_orders, count(o.order_id) as orders
from {{ ref('customers') }} as c
left join {{ ref('orders') }} as o using (customer_id)
group by c.customer_id, c.number_of_orders
having c.number_of_orders <> count(o.order_id)
