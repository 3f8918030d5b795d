#!/usr/bin/env bash
# sqlite3's page cache under each malloc: an in-memory database of 600k rows with an index (its
# pages are 4368-byte blocks), peak RSS (KB) and seconds, rounds alternating between the mallocs.
# usage: bench/malloc/sqlite_page_cache.sh ROUNDS LIBRARY... ("glibc" for none); needs sqlite3.
set -euo pipefail
rounds=$1
shift
query="create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c where x<600000)
insert into t select x, randomblob(100) from c; create index i on t(b); select count(*) from t;"
measured=$(mktemp)
trap 'rm -f "$measured"' EXIT
for round in $(seq "$rounds"); do
  for library in "$@"; do
    preload=$library
    [ "$library" = glibc ] && preload=""
    /usr/bin/time -f "%M %e" -o "$measured" env LD_PRELOAD="$preload" sqlite3 :memory: "$query" > /dev/null
    echo "round $round $library: $(cut -d' ' -f1 "$measured") KB peak RSS, $(cut -d' ' -f2 "$measured") s"
  done
done
