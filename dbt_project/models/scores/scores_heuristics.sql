-- Cheap text heuristics per example, in SQL: lengths, turns, repetition, non-alphabetic
-- share, empty or truncated responses, identical sides, refusal boilerplate. "Response"
-- is the chosen side of a pair or the single response; tokens are approximated as
-- characters / 4.
with examples as (
    select
        example_id,
        source_id,
        kind,
        prompt,
        json_array_length(messages) as prompt_turns,
        case when kind = 'preference' then chosen else response end as response_text,
        rejected
    from {{ ref('examples') }}
    where {{ in_partitions() }}
),

words as (
    select *, string_split_regex(lower(trim(response_text)), '\s+') as response_words
    from examples
)

select
    example_id,
    source_id,
    length(prompt) as heur_prompt_chars,
    length(response_text) as heur_response_chars,
    length(rejected) as heur_rejected_chars,
    ceil(length(prompt) / 4.0)::integer as heur_prompt_tokens,
    ceil(length(response_text) / 4.0)::integer as heur_response_tokens,
    length(response_text)::double / nullif(length(rejected), 0) as heur_chosen_rejected_length_ratio,
    prompt_turns + case when response_text is null then 0 else 1 end as heur_turns,
    {{ distinct_trigram_ratio('response_words') }} as heur_distinct_trigram_ratio,
    {{ non_alpha_fraction('response_text') }} as heur_non_alpha_fraction,
    coalesce(trim(response_text) = '', false) as heur_empty_response,
    {{ looks_truncated('response_text') }} as heur_truncated_response,
    coalesce(lower(trim(response_text)) = lower(trim(rejected)), false) as heur_chosen_equals_rejected,
    {{ is_refusal('response_text') }} as heur_refusal,
    {{ is_refusal('rejected') }} as heur_rejected_refusal
from words
order by source_id, example_id
