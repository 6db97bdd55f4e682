"""The SQL functions of a PostgreSQL store, each safe from a network's own objects.

A network's role may create temporary tables (the ``COPY`` of a publication stages its rows in
one), and a session's temporary schema is searched for tables and types *before* anything else
unless the search path names it. A function that named ``store_networks`` or ``store_rowids``
without a schema would then read or write the network's own table of that name: it could
claim another network's identity (``pmae_network()``, which the row-level security trusts), or
run its own trigger as the store's owner through a ``SECURITY DEFINER`` function. So every
function here names the store's tables with their schema (``public``, where the migrations
make them and :func:`pmae.store.pg_roles.grants` grants them) **and** pins its search path
(:data:`SEARCH_PATH`: ``pg_temp`` explicitly last, where nothing is searched before the store's
own names), except the two that every row a policy reads calls (:data:`INLINED`): a
function with a search path of its own is never inlined, and costs three times as much a call
(``pmae_jsonb``: 2.8 µs instead of 0.9; the history's policy took twice as long); these
name everything, functions, types and operators, with its schema, and run as their caller.
``CREATE OR REPLACE`` throughout: :func:`pmae.store.postgres.refresh` (``pmae db
upgrade``, ``pmae db add-network``) re-applies them all, which repairs a store made before.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FOLDING", "FUNCTIONS", "INLINED", "ROWIDS_AHEAD", "SEARCH_PATH", "TRIGGERS"]

#: The search path every function of the store runs with: the catalogue, the store's schema,
#: then the session's temporary schema, last (unnamed, it would come first).
SEARCH_PATH: Final = "SET search_path = pg_catalog, public, pg_temp"

#: The functions that name everything with its schema instead of pinning their search path,
#: so that PostgreSQL inlines them in the policies that call them for every row.
INLINED: Final = ("pmae_jsonb", "pmae_addressed")

#: The functions the translated statements of the migrations call (``pmae_fold``: accents and
#: case folded; ``pmae_jsonb``: a record's JSON text as JSONB, the NUL character, which JSONB
#: cannot hold, replaced): made before migration 1.
FOLDING: Final = (
    "CREATE OR REPLACE FUNCTION public.pmae_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
    f"PARALLEL SAFE {SEARCH_PATH} AS $$ SELECT pg_catalog.lower(unaccent("
    "'unaccent'::regdictionary, coalesce($1, ''))) $$",
    # Inlined (a pinned search path would forbid it): its names are qualified instead.
    "CREATE OR REPLACE FUNCTION public.pmae_jsonb(text) RETURNS jsonb LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT pg_catalog.replace($1, '\\u0000', '\\ufffd')"
    "::pg_catalog.jsonb $$",
)

#: How far beyond the last rowid of a collection a network's rows may be numbered.
ROWIDS_AHEAD: Final = 1_000_000_000

#: The functions of the networks, the rowids' counter, the shared diagnosis and the log's
#: checks (their tables are made by migration 1 before these run; see the module).
FUNCTIONS: Final = (
    # The network of the session's role: what every policy compares a record's source with.
    "CREATE OR REPLACE FUNCTION public.pmae_network() RETURNS text LANGUAGE sql STABLE "
    f"{SEARCH_PATH} AS $$ SELECT slug FROM public.store_networks "
    "WHERE role = current_user $$",
    # Inlined, as pmae_jsonb: every name qualified, operators too.
    "CREATE OR REPLACE FUNCTION public.pmae_addressed(recipients text, network text) "
    "RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT EXISTS (SELECT 1 FROM "
    "pg_catalog.jsonb_array_elements_text(recipients::pg_catalog.jsonb) AS r(who) WHERE "
    "who OPERATOR(pg_catalog.=) network OR pg_catalog.starts_with(who, network "
    "OPERATOR(pg_catalog.||) ':')) $$",
    # Rowids come from a counter, not max(rowid): a network does not see every row. As the
    # owner (a network may not write the counter itself). A network's rowids stay near the
    # counter (a publication adds far fewer than ROWIDS_AHEAD rows): the largest bigint
    # would make every later publication's next rowid fail. session_user: current_user is
    # the owner here.
    "CREATE OR REPLACE FUNCTION public.pmae_count_rowids() RETURNS trigger LANGUAGE plpgsql "
    f"SECURITY DEFINER {SEARCH_PATH} AS $$ BEGIN "
    "IF EXISTS (SELECT 1 FROM public.store_networks WHERE role = session_user) AND "
    "(SELECT max(rowid) FROM inserted) > coalesce((SELECT last FROM public.store_rowids WHERE "
    f"collection = TG_TABLE_NAME), 0) + {ROWIDS_AHEAD} THEN RAISE check_violation USING "
    "MESSAGE = format('rowids of %s go too far beyond the last one', TG_TABLE_NAME); END IF; "
    "INSERT INTO public.store_rowids AS s (collection, last) SELECT TG_TABLE_NAME, max(rowid) "
    "FROM inserted HAVING max(rowid) IS NOT NULL ON CONFLICT (collection) DO UPDATE "
    "SET last = greatest(s.last, excluded.last); RETURN NULL; END $$",
    # The protected tables of the shared diagnosis, as the administrator computed them
    # (pmae's protection, in Python); networks read them through these functions only.
    "CREATE OR REPLACE FUNCTION public.pmae_shared_diagnosis(wanted text) RETURNS jsonb "
    f"LANGUAGE sql STABLE SECURITY DEFINER {SEARCH_PATH} AS $$ SELECT document FROM "
    "public.shared_diagnoses WHERE name = wanted $$",
    "REVOKE ALL ON FUNCTION public.pmae_shared_diagnosis(text) FROM PUBLIC",
    # When the administrator computed a shared diagnosis (NULL: not computed): a network
    # compares it with the last publication.
    "CREATE OR REPLACE FUNCTION public.pmae_shared_diagnosis_computed_at(wanted text) "
    f"RETURNS text LANGUAGE sql STABLE SECURITY DEFINER {SEARCH_PATH} AS $$ SELECT "
    "computed_at FROM public.shared_diagnoses WHERE name = wanted $$",
    "REVOKE ALL ON FUNCTION public.pmae_shared_diagnosis_computed_at(text) FROM PUBLIC",
    # That each version names a publication of the log, checked once per statement over the
    # rows it inserted, and that a publication named by versions is never deleted nor
    # renumbered: what the foreign key versions.publication said, whose check ran once per
    # row (46 % of the insertion of a national publication's 1,260,000 versions).
    "CREATE OR REPLACE FUNCTION public.pmae_versions_published() RETURNS trigger "
    f"LANGUAGE plpgsql {SEARCH_PATH} AS $$ BEGIN IF EXISTS (SELECT 1 FROM inserted AS i "
    "WHERE NOT EXISTS (SELECT 1 FROM public.publications AS p WHERE p.number = "
    "i.publication)) THEN RAISE foreign_key_violation USING MESSAGE = 'a version names a "
    "publication the log does not hold'; END IF; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION public.pmae_publication_kept() RETURNS trigger "
    f"LANGUAGE plpgsql {SEARCH_PATH} AS $$ BEGIN IF (TG_OP = 'DELETE' OR NEW.number <> "
    "OLD.number) AND EXISTS (SELECT 1 FROM public.versions AS v WHERE v.publication = "
    "OLD.number) THEN RAISE foreign_key_violation USING MESSAGE = format('publication %s "
    "holds versions', OLD.number); END IF; "
    "RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END; END $$",
    # A network logs a publication under the next number only: any other (the largest
    # bigint, say) would make every later publication's next number fail. The log has no
    # row-level security: a network reads all of it. The administrator is not checked (a
    # restore from pg_dump writes the log as it was).
    "CREATE OR REPLACE FUNCTION public.pmae_publication_numbered() RETURNS trigger "
    f"LANGUAGE plpgsql {SEARCH_PATH} AS $$ BEGIN "
    "IF public.pmae_network() IS NOT NULL AND NEW.number IS DISTINCT FROM (SELECT "
    "coalesce(max(number), 0) + 1 FROM public.publications) THEN RAISE check_violation "
    "USING MESSAGE = "
    "format('publication %s is not the next number of the log', NEW.number); END IF; "
    "RETURN NEW; END $$",
)

#: The triggers of the log, on the functions above (``CREATE OR REPLACE``: made again only
#: when one is missing, since making one locks its table, which readers then wait for).
TRIGGERS: Final = {
    "pmae_versions_published": (
        "CREATE OR REPLACE TRIGGER pmae_versions_published AFTER INSERT ON "
        "public.versions REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE "
        "FUNCTION public.pmae_versions_published()"),
    "pmae_publication_kept": (
        "CREATE OR REPLACE TRIGGER pmae_publication_kept BEFORE DELETE OR "
        "UPDATE OF number ON public.publications FOR EACH ROW EXECUTE FUNCTION "
        "public.pmae_publication_kept()"),
    "pmae_publication_numbered": (
        "CREATE OR REPLACE TRIGGER pmae_publication_numbered BEFORE INSERT ON "
        "public.publications FOR EACH ROW EXECUTE FUNCTION "
        "public.pmae_publication_numbered()"),
}
