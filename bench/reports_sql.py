# ruff: noqa: E501 - SQL reads better on long lines
"""The reports benchmark's SQL: how its database is filled (one
``INSERT … SELECT`` from ``generate_series`` per table; pseudo-random but
fixed values from ``hashtext``), and the hand-written baseline.

Data: 300 organisations; one campaign (a Mois de l'ESS of last November, so
every event is over); ``:events`` events over 30 départements (skewed, as a
real region: a few départements hold most events) and the 13 kinds, 1 % drafts
and 2 % cancelled, 10 % without capacity; ``:registrations`` registrations
spread evenly over the events, 5 % of them groups of 2 to 30 seats, in every
status (85 % confirmed); check-ins for 70 % of the confirmed registrations of
four events in five (a fifth never used check-in); three walk-in rows per
published event.
"""

from __future__ import annotations

DEPARTMENTS = (
    "'53','72','49','44','85','14','50','61','27','76','18','28','36','37','41','45',"
    "'35','22','29','56','75','92','93','94','69','13','31','33','59','973'"
)
KINDS = (
    "'conference','cine-debat','visite','atelier','table-ronde','temoignages','exposition',"
    "'salon','petit-dejeuner','pleniere','intervention-scolaire','forum','autre'"
)
CATEGORIES = (
    "'grand-public','salarie-ess','benevole','elu','collectivite','entreprise','etudiant','presse','autre'"
)

BUILD_STATEMENTS: list[tuple[str, str]] = [
    (
        "organisations",
        f"""
        INSERT INTO organisations (name, name_folded, slug, kind, description, department, commune, created_at)
        SELECT 'Structure ' || g, 'structure ' || g, 'bench-structure-' || g, 'association', '',
               (ARRAY[{DEPARTMENTS}])[1 + g % 30], 'Commune', now()
        FROM generate_series(1, 300) AS g
        """,
    ),
    (
        "campaign",
        """
        INSERT INTO campaigns (name, slug, series, starts_on, ends_on, coordinator_id, description,
                               requires_approval, created_at)
        SELECT 'Mois de l''ESS 2025 (banc d''essai)', :slug, 'mois-ess-bench', DATE '2025-11-01', DATE '2025-11-30',
               min(id), '', false, now()
        FROM organisations
        """,
    ),
    (
        "events",
        f"""
        INSERT INTO events (organisation_id, campaign_id, title, slug, summary, description, kind, status,
            venue_name, venue_address, venue_postcode, commune, department, commune_key, search_text,
            starts_at, ends_at, timezone, capacity, registration_required, waitlist_enabled,
            max_seats_per_registration, requires_email_confirmation, pending_expiry_minutes,
            waitlist_cutoff_minutes, accessibility_info, is_free, price_info, contact_name,
            created_at, updated_at, published_at, cancelled_at, cancellation_reason, sequence)
        SELECT o.first + g % 300, c.id, 'Événement ' || g, 'bench-evenement-' || g, '', '',
            (ARRAY[{KINDS}])[1 + abs(hashtext('k' || g)) % 13],
            CASE WHEN g % 100 = 0 THEN 'draft' WHEN g % 100 IN (1, 2) THEN 'cancelled' ELSE 'published' END,
            '', '', '', 'Commune ' || d.code || '-' || g % 20, d.code, 'commune ' || d.code || '-' || g % 20, '',
            s.starts_at, s.starts_at + interval '2 hours',
            CASE WHEN d.code = '973' THEN 'America/Cayenne' ELSE 'Europe/Paris' END,
            CASE WHEN g % 10 = 0 THEN NULL ELSE 30 + g % 170 END, true, true, 30, false, 1440, 120,
            '', true, '', 'Contact', now(), now(), now(),
            CASE WHEN g % 100 IN (1, 2) THEN now() END, '', 0
        FROM generate_series(1, :events) AS g
        CROSS JOIN (SELECT min(id) AS first FROM organisations) AS o
        CROSS JOIN (SELECT id FROM campaigns) AS c
        CROSS JOIN LATERAL (
            -- Skewed: the square of a uniform value picks the first départements more often.
            SELECT (ARRAY[{DEPARTMENTS}])[1 + floor(power((abs(hashtext('d' || g)) % 1000) / 1000.0, 2) * 30)::int]
                AS code
        ) AS d
        CROSS JOIN LATERAL (
            SELECT timestamptz '2025-11-01 07:00+00' + ((g * 37) % 2880) * interval '15 minutes' AS starts_at
        ) AS s
        """,
    ),
    (
        "registrations",
        f"""
        INSERT INTO registrations (event_id, first_name, last_name, email, structure, category, seats, status,
            waitlist_position, token_salt, token_hash, consent_at, created_at, updated_at, confirmed_at,
            cancelled_at)
        SELECT e.id, 'Prénom', 'Nom ' || g, 'personne' || g || '@bench.example', '',
            (ARRAY[{CATEGORIES}])[1 + abs(hashtext('c' || g)) % 9],
            CASE WHEN g % 20 = 0 THEN 2 + g % 29 ELSE 1 END,
            CASE WHEN h.v < 85 THEN 'confirmed' WHEN h.v < 88 THEN 'pending' WHEN h.v < 92 THEN 'waitlisted'
                 WHEN h.v < 99 THEN 'cancelled' ELSE 'expired' END,
            NULL, '', md5(g::text) || md5('t' || g), t.at, t.at, t.at, t.at, NULL
        FROM generate_series(1, :registrations) AS g
        CROSS JOIN (SELECT min(id) AS first FROM events) AS f
        JOIN events AS e ON e.id = f.first + (g::bigint * 2654435761) % :events
        CROSS JOIN LATERAL (SELECT abs(hashtext('s' || g)) % 100 AS v) AS h
        CROSS JOIN LATERAL (
            SELECT e.starts_at - (1 + abs(hashtext('t' || g)) % (40 * 24 * 60)) * interval '1 minute' AS at
        ) AS t
        """,
    ),
    (
        "checkins",
        """
        INSERT INTO checkins (event_id, registration_id, session_id, seats, recorded_at)
        SELECT r.event_id, r.id, NULL, CASE WHEN r.seats > 3 THEN r.seats - 1 ELSE r.seats END, e.starts_at
        FROM registrations AS r JOIN events AS e ON e.id = r.event_id
        WHERE r.status = 'confirmed' AND e.status = 'published' AND r.id % 10 < 7 AND e.id % 5 <> 0
        """,
    ),
    (
        "walk_ins",
        f"""
        INSERT INTO walk_ins (event_id, session_id, category, count, recorded_at)
        SELECT e.id, NULL, (ARRAY[{CATEGORIES}])[k], CASE WHEN k = 3 THEN -1 ELSE 1 + (e.id + k) % 6 END, e.starts_at
        FROM events AS e CROSS JOIN generate_series(1, 3) AS k
        WHERE e.status = 'published'
        """,
    ),
]

# The same by-département totals as the dashboard's table, written by hand
# in one statement: the campaign's published events, their registrations
# with each one's people present (largest check-in), walk-ins per category
# and place (the largest place kept), no-shows only where check-in was used.
BASELINE_SQL = """
WITH ev AS (
    SELECT id, department FROM events WHERE campaign_id = :campaign_id AND status = 'published'
),
present AS (
    SELECT registration_id, max(seats) AS present
    FROM checkins WHERE event_id IN (SELECT id FROM ev) GROUP BY registration_id
),
per_event AS (
    SELECT r.event_id,
           sum(r.seats) AS registered,
           sum(r.seats) FILTER (WHERE r.status = 'confirmed') AS confirmed,
           sum(p.present) AS checked_in,
           count(p.present) AS checked,
           sum(r.seats - least(coalesce(p.present, 0), r.seats)) FILTER (WHERE r.status = 'confirmed') AS no_shows
    FROM registrations AS r LEFT JOIN present AS p ON p.registration_id = r.id
    WHERE r.event_id IN (SELECT id FROM ev)
    GROUP BY r.event_id
),
walk AS (
    SELECT event_id, sum(people) AS people FROM (
        SELECT event_id, category, max(greatest(net, 0)) AS people FROM (
            SELECT event_id, category, coalesce(session_id, 0) AS place, sum(count) AS net
            FROM walk_ins WHERE event_id IN (SELECT id FROM ev) GROUP BY 1, 2, 3
        ) AS per_place GROUP BY 1, 2
    ) AS per_category GROUP BY 1
)
SELECT ev.department,
       count(*) AS events,
       coalesce(sum(pe.registered), 0) AS registered,
       coalesce(sum(pe.confirmed), 0) AS confirmed,
       coalesce(sum(pe.checked_in), 0) AS checked_in,
       coalesce(sum(w.people), 0) AS walk_ins,
       coalesce(sum(pe.no_shows) FILTER (WHERE pe.checked > 0), 0) AS no_shows
FROM ev
LEFT JOIN per_event AS pe ON pe.event_id = ev.id
LEFT JOIN walk AS w ON w.event_id = ev.id
GROUP BY ev.department
ORDER BY ev.department
"""
