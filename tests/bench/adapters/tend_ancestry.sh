# tend_ancestry: tend as it runs for an ordinary user, who has no cgroup of
# its own to delegate: trees tracked by ancestry (--tracking=ancestry), the
# same declarations as the tend adapter otherwise.
tend_ancestry_available() { tend_available; }
tend_ancestry_conf() { tend_conf "$@"; }
tend_ancestry_argv() { tend_argv "$@"; ARGV+=(--tracking=ancestry); }
tend_ancestry_stop() { tend_stop "$@"; }
tend_ancestry_note() { echo "tend_ancestry: tend with --tracking=ancestry (no cgroups: how it runs for a user), otherwise as tend"; }
