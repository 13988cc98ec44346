# tini: one child, no restarts, so only the reap storm applies: tini -s (a
# subreaper) runs the storm and reaps the orphans. Stop: SIGTERM, which tini
# passes to its child and exits with it.
tini_available() { command -v tini >/dev/null; }
tini_conf() { :; }
tini_argv() { ARGV=(tini -s -- "$(bench_prog "$2")"); }
tini_stop() { echo sig:TERM; }
tini_note() { echo "tini $(dpkg-query -W -f='${Version}' tini): a single child, never restarted: only the reap storm applies (tini -s, a subreaper)"; }
