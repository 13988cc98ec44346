--- 10-web.conf
# A group of cooperating processes, started in this order and stopped in
# reverse. The one-shot "prepare" must finish before the others start;
# "backend" is critical: if it keeps crashing, the whole group is stopped and
# marked failed. "frontend" depends on the order: when it fails, the group is
# stopped and started again from "prepare".
#
# Its files go to www/, relative to the directory tend was started in:
# `make run` starts tend in its run directory, so the demo leaves nothing
# anywhere else. (A real service names absolute paths.)
group "web" {
    process "prepare" {
        type    = oneshot
        command = "/bin/sh -c 'mkdir -p www && echo hello > www/index.txt'"
    }
    process "backend" {
        command        = "/bin/sh -c 'while :; do date +%s > www/backend.stamp; sleep 5; done'"
        critical       = true
        restart-limit  = 3
        restart-window = 1m
    }
    process "frontend" {
        command     = "/bin/sh -c 'echo serving \"$ROOT\" on port $PORT; exec sleep infinity'"
        dependent   = true
        directory   = "www"
        environment = { "PORT=8080", "ROOT=www" }
        stop-timeout = 2s
    }
    # In the services directory while "frontend" runs: `tendctl service
    # lookup http`, or `tendctl watch service http` to see it come and go.
    service "http" {
        process = "frontend"
        port    = 8080
        proto   = tcp
        context = { "root=www" }
    }
}
--- 20-flaky.conf
# A process that crashes two seconds after every start. It is restarted after
# restart-delay; the fourth exit within restart-window is one more than
# restart-limit allows, so tend gives up and marks it failed. It is not
# critical, so its group stays up. `tendctl start flaky/crasher` tries again.
group "flaky" {
    process "crasher" {
        command        = "/bin/sh -c 'echo starting; sleep 2; echo crashing >&2; exit 3'"
        restart        = on-failure
        restart-limit  = 3
        restart-window = 30s
        restart-delay  = 500ms
    }
    process "steady" {
        command = "/bin/sleep infinity"
    }
}
--- 30-local.conf
# A process outside any group belongs to the reserved group "local".
# This one runs a task at boot and is not restarted when it succeeds.
process "hello" {
    type    = oneshot
    command = "/bin/echo 'tend demo: hello from a one-shot task'"
}

# A long-running local process that forks a helper of its own: stopping it
# (or tend) ends the helper too.
process "ticker" {
    command = "/bin/sh -c '(while :; do sleep 60; done) & exec sleep infinity'"
}
