-- wrk script: every request carries the reader token (from $UMBRA_TOKEN) and
-- the Accept header TAXII needs; non-2xx answers are counted by wrk itself.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("UMBRA_TOKEN")
wrk.headers["Accept"] = os.getenv("UMBRA_ACCEPT") or "application/taxii+json;version=2.1"
