#!/usr/bin/env bash
# The layering check (README "Layout"): computes which folder uses which,
# from the includes in the sources and from the symbols in the built layer
# archives, and fails on
#   - an include that does not name its folder ("core/process.h");
#   - a use of a folder that is not below the user in the layer order
#     (an upward call, or one between siblings);
#   - any include of init/ from supervisor/;
#   - a cycle between folders;
#   - a unit test of the state machines that contains code of the control
#     or daemon layers.
# Prints one TAP line per check, then the folder graph as "from -> to (n)".
#
# usage: tools/layers.sh [BUILD_DIR]   (after `make tend unit`; default build)
set -u
cd "$(dirname "$0")/.." || exit 1
B=${1:-build}

# Lowest first. A folder may use only folders of a lower rank; folders of
# one rank are siblings and never use each other.
declare -A RANK=([libtend]=0 [base]=1 [config]=2 [sys]=3 [tenant]=4 [core]=5
	[services]=6 [account]=6 [cluster]=7 [control]=8 [daemon]=9 [init]=10)
LAYERS="base config sys tenant core services account cluster control daemon"

n=0 failed=0
report() { # OK|FAIL DESCRIPTION [DETAILS...]
	n=$((n + 1))
	if [[ $1 == OK ]]; then
		echo "ok $n - layers: $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - layers: $2"
		shift 2
		printf '#   %s\n' "$@"
	fi
}

folder_of() { # PATH -> its folder's name
	case $1 in
	supervisor/*/*) local f=${1#supervisor/}; echo "${f%%/*}" ;;
	init/*) echo init ;;
	tools/libtend/*) echo libtend ;;
	*) echo "?" ;;
	esac
}

sources=$(ls supervisor/*/*.[ch] init/*.[ch] tools/libtend/*.[ch] 2>/dev/null)
edges=$(mktemp) bad=$(mktemp)
trap 'rm -f "$edges" "$bad"' EXIT

# ---- every source is in a layer folder (the Makefile builds only those) ----
mapfile -t lines < <(find supervisor init -name '*.[ch]' | while read -r f; do
	case $f in
	supervisor/*/*/*) echo "$f: nested below a layer folder" ;;
	supervisor/*/*) [[ -n ${RANK[$(folder_of "$f")]+x} ]] || echo "$f: not a layer folder" ;;
	supervisor/*) echo "$f: directly in supervisor/, in no layer" ;;
	esac
done)
if ((${#lines[@]})); then
	report FAIL "every source is in a layer folder" "${lines[@]}"
else
	report OK "every source is in a layer folder"
fi

# ---- includes ----
: >"$bad"
for f in $sources; do
	from=$(folder_of "$f")
	while IFS= read -r inc; do
		to=${inc%%/*}
		if [[ $inc != */* ]]; then
			# libtend's files include their siblings plainly; nobody else may.
			[[ $from == libtend && -f tools/libtend/$inc ]] && continue
			echo "$f: #include \"$inc\" does not name its folder" >>"$bad"
			continue
		fi
		if [[ -z ${RANK[$to]+x} ]]; then
			echo "$f: #include \"$inc\": no such layer folder" >>"$bad"
			continue
		fi
		[[ $to != "$from" ]] && echo "$from $to include $f" >>"$edges"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
if [[ -s $bad ]]; then
	mapfile -t lines <"$bad"
	report FAIL "every include names its folder" "${lines[@]}"
else
	report OK "every include names its folder"
fi

# ---- symbols: who defines what, who needs what ----
declare -A DEF
archives=()
for l in $LAYERS; do
	[[ -f $B/lib/$l.a ]] && archives+=("$l:$B/lib/$l.a")
done
archives+=("libtend:$B/libtend.a")
if ((${#archives[@]} < 2)) || [[ ! -f $B/libtend.a ]]; then
	report FAIL "layer archives are built" "run make tend unit first ($B/lib/*.a missing)"
	exit 1
fi
for a in "${archives[@]}"; do
	l=${a%%:*}
	while read -r sym; do DEF[$sym]=$l; done < <(nm -g --defined-only "${a#*:}" 2>/dev/null |
		awk 'NF == 3 && $2 ~ /[TDBRCVWG]/ { print $3 }')
done
initobjs=$(ls "$B"/init/*.o 2>/dev/null)
for o in $initobjs; do
	while read -r sym; do DEF[$sym]=init; done < <(nm -g --defined-only "$o" |
		awk 'NF == 3 { print $3 }')
done
uses() { # LAYER FILE...: the undefined symbols of these objects, as edges
	local l=$1 sym
	shift
	while read -r obj sym; do
		local to=${DEF[$sym]:-}
		[[ -n $to && $to != "$l" ]] && echo "$l $to call $obj:$sym"
	done < <(nm -u -A "$@" 2>/dev/null | awk '{ sub(/:$/, "", $1); print $1, $NF }')
}
for a in "${archives[@]}"; do
	uses "${a%%:*}" "${a#*:}" >>"$edges"
done
[[ -n $initobjs ]] && uses init $initobjs >>"$edges"

# ---- every edge goes down ----
: >"$bad"
while read -r from to how where; do
	if ((RANK[$to] >= RANK[$from])); then
		echo "$from uses $to ($how: $where)" >>"$bad"
	fi
done <"$edges"
if [[ -s $bad ]]; then
	mapfile -t lines < <(sort -u "$bad")
	report FAIL "each folder uses only folders below it" "${lines[@]}"
else
	report OK "each folder uses only folders below it"
fi

mapfile -t lines < <(awk '$2 == "init" && $1 != "init" { print $1 " includes or calls init/: " $4 }' "$edges")
if ((${#lines[@]})); then
	report FAIL "nothing under supervisor/ includes init/" "${lines[@]}"
else
	report OK "nothing under supervisor/ includes init/"
fi

# ---- no cycle (tsort finds one if there is) ----
if loop=$(awk '{ print $1, $2 }' "$edges" | sort -u | tsort 2>&1 >/dev/null) && [[ -z $loop ]]; then
	report OK "the folder graph has no cycle"
else
	mapfile -t lines <<<"$loop"
	report FAIL "the folder graph has no cycle" "${lines[@]}"
fi

# ---- the state machines' unit tests: no control, daemon or reload code ----
for t in test_supervision test_bus; do
	bin=$B/unit/$t
	if [[ ! -x $bin ]]; then
		report FAIL "$t links without control and daemon" "$bin is not built"
		continue
	fi
	found=$(nm --defined-only "$bin" | awk 'NF == 3 { print $3 }' | while read -r sym; do
		case ${DEF[$sym]:-} in control | daemon) echo "$sym (${DEF[$sym]})" ;; esac
	done)
	# daemon/reload.c and core/reload_apply.c: the state machines need neither.
	found+=$(nm --defined-only "$bin" | awk '$3 ~ /^(daemon_reload|reload_apply|reload_finish)$/ { print "\n" $3 }')
	if [[ -n $found ]]; then
		mapfile -t lines <<<"$found"
		report FAIL "$t links without control, daemon and reload code" "${lines[@]}"
	else
		report OK "$t links without control, daemon and reload code"
	fi
done

echo "# folder graph (from -> to: includes, calls):"
awk '{ k = $1 " -> " $2; if ($3 == "include") inc[k]++; else call[k]++; seen[k] = 1 }
	END { for (k in seen) printf "#   %-22s %4d includes %4d calls\n", k, inc[k], call[k] }' "$edges" | sort
((failed == 0))
