select
    c.customer_id,
    c.first_name,
    c.last_name,
    o.first_order,
    coalesce(o.number_of_orders, 0) as number_of_orders,
    coalesce(o.lifetime_value, 0) as lifetime_value
from {{ ref('stg_customers') }} as c
left join (
    select customer_id, min(order_date) as first_order, count(*) as number_of_orders, sum(amount) as lifetime_value
    from {{ ref('orders') }}
    group by customer_id
) as o using (customer_id)
