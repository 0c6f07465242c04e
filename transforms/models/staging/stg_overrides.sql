-- Hand-kept overrides (seed champion_overrides.csv) as facts of the source 'override'.
select
    champion_key as champion_ref,
    lower(trim(fact_type)) as fact_type,
    trim(value) as value,
    'override' as source
from {{ ref('champion_overrides') }}
where champion_key is not null
