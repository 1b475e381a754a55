#!/bin/sh
# etc/bash_completion.d/pct: sourced into bash, _pct called with COMP_WORDS
# the way bash calls it. Verbs and options come from pct itself.
. "$(dirname "$0")/test-lib.sh"

if ! command -v bash >/dev/null; then
	test_skip 'bash completion' 'bash not installed'
	test_done
fi

mkdir bin && ln -s "$PCT" bin/pct
COMPLETION="$top_srcdir/etc/bash_completion.d/pct"

# complete WORD... : print the candidates for the last word, one per line
complete_words () {
	PATH="$TRASH/bin:$PATH" bash -c '
		. "$0" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		_pct
		printf "%s\n" "${COMPREPLY[@]}"
	' "$COMPLETION" "$@" | sed "/^\$/d"
}

basic_ct 100
basic_ct 101
basic_ct 250
printf '\n[before-upgrade]\nmemory: 512\nsnaptime: 1\n\n[pve:pending]\nmemory: 1\n' >>"$CORRAL_CONFDIR/101.conf"
printf '\n[base]\nmemory: 512\nsnaptime: 1\n' >>"$CORRAL_CONFDIR/101.conf"
touch "$CORRAL_CONFDIR/notes.txt"
cat >"$CORRAL_CONFIG" <<\EOF
template "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" {
	image = "docker.io/library/debian:bookworm"
}
EOF

test_expect_success 'the script is valid bash and defines complete -F _pct pct' '
	bash -n "$COMPLETION" &&
	bash -c ". \"$COMPLETION\" && complete -p pct" >actual &&
	echo "complete -F _pct pct" >expect && test_cmp expect actual
'

test_expect_success 'verbs' '
	complete_words pct "" >actual &&
	for v in config create fmt help lint list listsnapshot pending set status template unlock; do
		grep -qx "$v" actual || { echo "missing $v"; exit 1; }
	done
'

test_expect_success 'verb prefix' '
	complete_words pct li >actual &&
	printf "%s\n" lint list listsnapshot >expect && test_cmp expect actual
'

test_expect_success 'vmids from CORRAL_CONFDIR' '
	complete_words pct config "" >actual &&
	printf "%s\n" 100 101 250 >expect && test_cmp expect actual &&
	complete_words pct set 10 >actual &&
	printf "%s\n" 100 101 >expect && test_cmp expect actual
'

test_expect_success 'options of a verb, config keys included' '
	complete_words pct set 100 --mem >actual &&
	echo --memory >expect && test_cmp expect actual &&
	complete_words pct set 100 --ho >actual &&
	printf "%s\n" --hookscript --hostname >expect &&
	sort actual >sorted && test_cmp expect sorted &&
	complete_words pct set 100 -- >all &&
	grep -qx -- --delete all && grep -qx -- --revert all && grep -qx -- --digest all &&
	! grep -qx -- --parent all
'

test_expect_success 'indexed keys are offered with an index' '
	complete_words pct set 100 --net >actual &&
	grep -qx -- --net0 actual && grep -qx -- --net9 actual &&
	complete_words pct set 100 --unu >actual && grep -qx -- --unused0 actual
'

test_expect_success 'command options' '
	complete_words pct config 100 --s >actual &&
	echo --snapshot >expect && test_cmp expect actual &&
	complete_words pct create 100 x --ssh >actual &&
	echo --ssh-public-keys >expect && test_cmp expect actual
'

test_expect_success 'snapshot names of the vmid given' '
	complete_words pct config 101 --snapshot "" >actual &&
	printf "%s\n" before-upgrade base >expect && test_cmp expect actual &&
	complete_words pct config 101 --snapshot be >actual &&
	echo before-upgrade >expect && test_cmp expect actual
'

test_expect_success 'no snapshot names for a CT without snapshots' '
	complete_words pct config 100 --snapshot "" >actual &&
	test_cmp /dev/null actual
'

test_expect_success 'boolean values' '
	complete_words pct set 100 --onboot "" >actual &&
	printf "%s\n" 1 0 >expect && test_cmp expect actual
'

test_expect_success 'enumerated values' '
	complete_words pct set 100 --arch "" >actual &&
	printf "%s\n" amd64 arm64 armhf i386 riscv32 riscv64 >expect && test_cmp expect actual &&
	complete_words pct config 100 --output-format j >actual &&
	printf "%s\n" json json-pretty >expect && test_cmp expect actual
'

test_expect_success 'a free value gets no candidates' '
	complete_words pct set 100 --memory "" >actual &&
	test_cmp /dev/null actual
'

test_expect_success 'after an option with its value the positional count is right' '
	complete_words pct set --memory 512 "" >actual &&
	printf "%s\n" 100 101 250 >expect && test_cmp expect actual &&
	complete_words pct set 100 --memory 512 "" >actual &&
	test_cmp /dev/null actual
'

test_expect_success 'ostemplate from corral.conf templates' '
	complete_words pct create 300 "" >actual &&
	echo "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" >expect &&
	test_cmp expect actual
'

test_expect_success 'files for pct lint and pct fmt' '
	touch some.conf &&
	complete_words pct lint som >actual && echo some.conf >expect && test_cmp expect actual &&
	complete_words pct fmt som >actual && test_cmp expect actual
'

test_expect_success 'pct help completes verbs' '
	complete_words pct help con >actual &&
	printf "config\nconsole\n" >expect && test_cmp expect actual
'

test_expect_success 'the default config directory is /etc/corral/ct' '
	grep -q "CORRAL_CONFDIR:-/etc/corral/ct" "$COMPLETION"
'

test_done
