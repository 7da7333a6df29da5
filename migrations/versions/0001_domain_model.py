"""The whole domain model: organisations, accounts, campaigns, events, sessions,
registrations, check-ins, and the indexes of the agenda and the reports.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 23:10:20.148455

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=220), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=3), nullable=True),
    sa.Column('commune', sa.String(length=120), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_department'), ['department'], unique=False)

    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    sa.UniqueConstraint('slug', name=op.f('uq_themes_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=220), nullable=False),
    sa.Column('series', sa.String(length=100), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaigns_dates_ordered')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['organisations.id'], name=op.f('fk_campaigns_coordinator_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaigns_slug'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_series'), ['series'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_memberships_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'organisation_id', name=op.f('uq_memberships_user_id_organisation_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=220), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('venue_address', sa.String(length=300), nullable=False),
    sa.Column('venue_postcode', sa.String(length=10), nullable=False),
    sa.Column('commune', sa.String(length=120), nullable=False),
    sa.Column('department', sa.String(length=3), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('registration_required', sa.Boolean(), nullable=False),
    sa.Column('registration_opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waitlist_enabled', sa.Boolean(), nullable=False),
    sa.Column('max_seats_per_registration', sa.Integer(), nullable=False),
    sa.Column('requires_email_confirmation', sa.Boolean(), nullable=False),
    sa.Column('waitlist_cutoff_minutes', sa.Integer(), nullable=False),
    sa.Column('accessibility_info', sa.Text(), nullable=False),
    sa.Column('is_free', sa.Boolean(), nullable=False),
    sa.Column('price_info', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancellation_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_events_capacity_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_events_ends_after_start')),
    sa.CheckConstraint('max_seats_per_registration >= 1', name=op.f('ck_events_max_seats_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_events_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_events_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('slug', name=op.f('uq_events_slug'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_campaign_status_starts_at', ['campaign_id', 'status', 'starts_at'], unique=False)
        batch_op.create_index('ix_events_commune', ['commune'], unique=False)
        batch_op.create_index('ix_events_department_starts_at', ['department', 'starts_at'], unique=False)
        batch_op.create_index('ix_events_kind_starts_at', ['kind', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_events_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('event_audiences',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_audiences_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'audience', name=op.f('pk_event_audiences'))
    )
    with op.batch_alter_table('event_audiences', schema=None) as batch_op:
        batch_op.create_index('ix_event_audiences_audience', ['audience', 'event_id'], unique=False)

    op.create_table('event_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('help_text', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_questions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_questions'))
    )
    with op.batch_alter_table('event_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_questions_event_id'), ['event_id'], unique=False)

    op.create_table('event_themes',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_themes_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_event_themes_theme_id_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'theme_id', name=op.f('pk_event_themes'))
    )
    with op.batch_alter_table('event_themes', schema=None) as batch_op:
        batch_op.create_index('ix_event_themes_theme_id', ['theme_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('structure', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_registrations_seats_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registrations_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registrations_token_hash'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_email', ['email'], unique=False)
        batch_op.create_index('ix_registrations_event_id_status', ['event_id', 'status'], unique=False)
        batch_op.create_index('uq_registrations_active_email', ['event_id', 'email'], unique=True, postgresql_where=sa.text("status IN ('pending', 'confirmed', 'waitlisted')"), sqlite_where=sa.text("status IN ('pending', 'confirmed', 'waitlisted')"))

    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_sessions_capacity_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_sessions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_event_id'), ['event_id'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_checkins_seats_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkins_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_checkins_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_checkins_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_checkins_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_event_id'), ['event_id'], unique=False)
        batch_op.create_index('uq_checkins_registration_event', ['registration_id'], unique=True, postgresql_where=sa.text('session_id IS NULL'), sqlite_where=sa.text('session_id IS NULL'))
        batch_op.create_index('uq_checkins_registration_session', ['registration_id', 'session_id'], unique=True, postgresql_where=sa.text('session_id IS NOT NULL'), sqlite_where=sa.text('session_id IS NOT NULL'))

    op.create_table('registration_answers',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['event_questions.id'], name=op.f('fk_registration_answers_question_id_event_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_registration_answers_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'question_id', name=op.f('pk_registration_answers'))
    )
    op.create_table('registration_sessions',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_registration_sessions_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_registration_sessions_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'session_id', name=op.f('pk_registration_sessions'))
    )
    with op.batch_alter_table('registration_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_registration_sessions_session_id', ['session_id'], unique=False)

    op.create_table('walk_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count <> 0', name=op.f('ck_walk_ins_count_not_zero')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_walk_ins_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_walk_ins_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_walk_ins_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_ins'))
    )
    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_walk_ins_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_walk_ins_event_id'))

    op.drop_table('walk_ins')
    with op.batch_alter_table('registration_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_sessions_session_id')

    op.drop_table('registration_sessions')
    op.drop_table('registration_answers')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('uq_checkins_registration_session', postgresql_where=sa.text('session_id IS NOT NULL'), sqlite_where=sa.text('session_id IS NOT NULL'))
        batch_op.drop_index('uq_checkins_registration_event', postgresql_where=sa.text('session_id IS NULL'), sqlite_where=sa.text('session_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_checkins_event_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_event_id'))

    op.drop_table('sessions')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_registrations_active_email', postgresql_where=sa.text("status IN ('pending', 'confirmed', 'waitlisted')"), sqlite_where=sa.text("status IN ('pending', 'confirmed', 'waitlisted')"))
        batch_op.drop_index('ix_registrations_event_id_status')
        batch_op.drop_index('ix_registrations_email')

    op.drop_table('registrations')
    with op.batch_alter_table('event_themes', schema=None) as batch_op:
        batch_op.drop_index('ix_event_themes_theme_id')

    op.drop_table('event_themes')
    with op.batch_alter_table('event_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_questions_event_id'))

    op.drop_table('event_questions')
    with op.batch_alter_table('event_audiences', schema=None) as batch_op:
        batch_op.drop_index('ix_event_audiences_audience')

    op.drop_table('event_audiences')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_events_organisation_id'))
        batch_op.drop_index('ix_events_kind_starts_at')
        batch_op.drop_index('ix_events_department_starts_at')
        batch_op.drop_index('ix_events_commune')
        batch_op.drop_index('ix_events_campaign_status_starts_at')

    op.drop_table('events')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_organisation_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_series'))
        batch_op.drop_index(batch_op.f('ix_campaigns_coordinator_id'))

    op.drop_table('campaigns')
    op.drop_table('users')
    op.drop_table('themes')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_department'))

    op.drop_table('organisations')
