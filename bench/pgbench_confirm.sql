-- Baseline (c): the transaction of baseline (b) as plain SQL, run by pgbench on the
-- same database (variables given with -D: first_slot, last_slot, procedure).
-- The reference is drawn from the product's alphabet, 8 characters, as in Python.
\set slot random(:first_slot, :last_slot)
BEGIN;
SELECT id, capacity FROM booking_slot WHERE id = :slot FOR UPDATE;
INSERT INTO booking_booking (reference, slot_id, procedure_id, numero_etranger,
    last_name, first_name, mobile, email, language, for_relative, status,
    created_at, updated_at, suspicious_numero, agent_note, move_count, manage_token)
VALUES ((SELECT string_agg(substr('ABCDEFGHJKMNPQRSTVWXYZ23456789',
            1 + floor(random() * 30)::int, 1), '') FROM generate_series(1, 8)),
        :slot, :procedure, lpad(floor(random() * 1e10)::bigint::text, 10, '0'),
        'Bench', 'Bench', '+33600000000', '', 'fr', false, 'honoured',
        now(), now(), false, '', 0, substr(md5(random()::text || clock_timestamp()::text), 1, 22));
UPDATE booking_slot SET capacity = capacity WHERE id = :slot;
END;
