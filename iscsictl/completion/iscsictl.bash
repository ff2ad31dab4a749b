# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for iscsictl(8): verbs, objects, options, KEY= of each section (asked of
# iscsictl itself, so they follow its key table) and the target names and discovery portals of the
# store in use (--store, else $ISCSICTL_STORE, else /etc/iscsi/targets.ini).

_iscsictl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local -a positional=() store_opt=()
	local i word skip=0
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if ((skip)); then
			skip=0
			continue
		fi
		case $word in
		--store)
			store_opt=(--store "${COMP_WORDS[i + 1]}")
			skip=1
			;;
		--socket | --retry-for) skip=1 ;;
		-*) ;;
		*) positional+=("$word") ;;
		esac
	done
	case $prev in
	--store)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--retry-for)
		COMPREPLY=($(compgen -W "30 60 120 300" -- "$cur"))
		return
		;;
	esac
	local global="--store --socket --json -v --verbose -q --quiet -h --help"
	local verb=${positional[0]:-} object=${positional[1]:-}
	local n=${#positional[@]}
	_iscsictl_words() { iscsictl "${store_opt[@]}" __complete "$@" 2>/dev/null; }
	local words=""
	if ((n == 0)); then
		words="add remove modify list show discover login logout rescan import --version $global"
	else
		case $verb in
		add | remove)
			if ((n == 1)); then
				words="target discovery"
			elif [[ $object == target ]]; then
				if ((n == 2)); then
					words=$(_iscsictl_words targets)
				elif [[ $verb == add ]]; then
					words=$(_iscsictl_words keys target)
				else
					words="--logout"
				fi
			elif [[ $object == discovery && $verb == add && $n -ge 3 ]]; then
				words=$(_iscsictl_words keys discovery)
			elif [[ $object == discovery && $verb == remove && $n -eq 2 ]]; then
				words=$(_iscsictl_words discovery)
			fi
			;;
		modify)
			if ((n == 1)); then
				words="target initiator discovery"
			elif [[ $object == initiator ]]; then
				words=$(_iscsictl_words keys initiator)
			elif ((n == 2)); then
				[[ $object == target ]] && words=$(_iscsictl_words targets)
				[[ $object == discovery ]] && words=$(_iscsictl_words discovery)
			else
				words=$(_iscsictl_words keys "$object")
			fi
			;;
		list) ((n == 1)) && words="targets discovery sessions luns" ;;
		show)
			if ((n == 1)); then
				words="target initiator session"
			elif ((n == 2)) && [[ $object == target || $object == session ]]; then
				words=$(_iscsictl_words targets)
			fi
			;;
		login)
			if ((n == 1)); then
				words="--all --automatic --retry-for $(_iscsictl_words targets)"
			else
				words="--retry-for"
			fi
			;;
		logout) ((n == 1)) && words="--all $(_iscsictl_words targets)" ;;
		rescan) ((n == 1)) && words=$(_iscsictl_words targets) ;;
		discover) words="--add $(_iscsictl_words discovery)" ;;
		import)
			if ((n == 1)); then
				words="open-iscsi"
			else
				words="--dry-run --skip-existing"
				if ((n == 2)); then
					COMPREPLY=($(compgen -d -- "$cur"))
				fi
			fi
			;;
		esac
		[[ $cur == -* ]] && words="$words $global"
	fi
	COMPREPLY+=($(compgen -W "$words" -- "$cur"))
	[[ ${COMPREPLY[0]:-} == *= ]] && compopt -o nospace 2>/dev/null
	return 0
}
complete -F _iscsictl iscsictl
