-- A singular test: the rows it returns are failures.
select order_id, amount
from {{ ref('orders') }}
where amount < 0
