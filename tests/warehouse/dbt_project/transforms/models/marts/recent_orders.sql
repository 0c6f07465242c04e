{{ config(materialized='view', tags=['recent']) }}
select order_id, customer_id, amount
from {{ ref('orders') }}
where order_date >= date '2024-02-01'
