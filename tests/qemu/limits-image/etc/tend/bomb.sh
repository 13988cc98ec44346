# Forks sleepers until fork fails (pids-max), then says how many it made.
n=0
while [ $n -lt 100 ]; do
	/bin/sleep 2147483647 &
	n=$((n + 1))
	echo "$n" >/run/bomb.count
done
