# bash completion for watershed(1): commands, subcommands and options,
# file names where a command takes a file, and the names of sources,
# goals and campaigns asked of the coordinator ('watershed sources
# --json', 'watershed progress --json'), only when it answers within
# half a second; otherwise those complete to nothing, silently.
# Needs no bash-completion helpers; installed as
# share/bash-completion/completions/watershed.

# The names a running coordinator knows. $1: sources, goals or campaigns;
# $2: the --coordinator given on the command line, if any.
_watershed_names()
{
    local what=$1 endpoint=$2 out key command=progress
    local -a args=()
    [ -n "$endpoint" ] && args=(--coordinator "$endpoint")
    case $what in
        sources) command=sources key=name ;;
        goals) key=goal ;;
        campaigns) key=campaign ;;
        *) return 0 ;;
    esac
    # Top-level entries only: sources --json is an array of objects (keys
    # indented 4), progress --json {"goals": [...]} (keys indented 6).
    local indent='    '
    [ "$command" = progress ] && indent='      '
    if command -v timeout >/dev/null 2>&1; then
        out=$(WATERSHED_TIMEOUT_MS=500 timeout 2 watershed "$command" \
            --json "${args[@]}" 2>/dev/null) || return 0
    else
        out=$(WATERSHED_TIMEOUT_MS=500 watershed "$command" --json \
            "${args[@]}" 2>/dev/null) || return 0
    fi
    printf '%s\n' "$out" |
        sed -n "s/^$indent\"$key\": \"\\([^\"\\\\]*\\)\",\\{0,1\\}\$/\\1/p" |
        sort -u
}

# COMPREPLY from compgen's lines, so a file name with spaces stays whole.
_watershed_reply()
{
    mapfile -t COMPREPLY < <(compgen "$@")
}

_watershed()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="alerts apply chart goal hook import keygen migrate
        progress samples series silence source sources status trend trends"
    local common="--json --coordinator --coordinator-key --help"
    COMPREPLY=()

    if [ "$COMP_CWORD" -le 1 ]; then
        _watershed_reply -W "$commands --help" -- "$cur"
        return 0
    fi

    local command=${COMP_WORDS[1]} sub='' endpoint='' i
    [ "$COMP_CWORD" -gt 2 ] && sub=${COMP_WORDS[2]}
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [ "${COMP_WORDS[i]}" = --coordinator ]; then
            endpoint=${COMP_WORDS[i+1]}
        fi
    done

    # Values of options first.
    case $prev in
        --coordinator|--coordinator-key|--metric|-m|--labels|-l|--from|\
        --to|--limit|-n|--since|--as-of|--step|--for|--until|--reason|-r|\
        --period|--horizon|--season|--alpha|--beta|--gamma|--db|--window|-w|\
        --width|--height)
            return 0 ;;
        -f|--file|--csv|--csv-denominator|-o|--output)
            compopt -o filenames 2>/dev/null
            _watershed_reply -f -- "$cur"
            return 0 ;;
        --goal|-g)
            if [ "$command $sub" = "goal eval" ]; then
                compopt -o filenames 2>/dev/null
                _watershed_reply -f -- "$cur"
            else
                _watershed_reply -W "$(_watershed_names goals "$endpoint")" -- "$cur"
            fi
            return 0 ;;
        --campaign|-c)
            _watershed_reply -W "$(_watershed_names campaigns "$endpoint")" -- "$cur"
            return 0 ;;
        --dir|-d)
            compopt -o filenames 2>/dev/null
            _watershed_reply -d -- "$cur"
            return 0 ;;
        --kind|-k)
            _watershed_reply -W "slipped recovered achieved missed trend
                change_point test" -- "$cur"
            return 0 ;;
        --type)
            _watershed_reply -W "gauge counter per_period" -- "$cur"
            return 0 ;;
        --seasonal)
            _watershed_reply -W "none additive multiplicative" -- "$cur"
            return 0 ;;
    esac

    local options='' words='' files=0
    case $command in
        apply) options="-f --file --prune --dry-run $common" ;;
        sources)
            options=$common
            [ "$COMP_CWORD" -eq 2 ] && words=$(_watershed_names sources "$endpoint") ;;
        source)
            if [ "$COMP_CWORD" -eq 2 ]; then
                words='test'
            else
                options="-f --file $common"
                words=$(_watershed_names sources "$endpoint")
            fi ;;
        status) options=$common ;;
        series) options="--metric $common" ;;
        samples) options="--labels --from --to --limit $common" ;;
        migrate) options="--db $common" ;;
        trends) options="--metric --labels --window $common" ;;
        trend)
            options="--csv --horizon --season --seasonal --alpha --beta
                --gamma --json --help" ;;
        progress)
            options="--campaign --as-of $common"
            words=$(_watershed_names goals "$endpoint") ;;
        goal)
            case $sub in
                show)
                    options="--as-of --pace $common"
                    [ "$COMP_CWORD" -eq 3 ] && words=$(_watershed_names goals "$endpoint") ;;
                backtest)
                    options="--from --to --step --timeline $common"
                    [ "$COMP_CWORD" -eq 3 ] && words=$(_watershed_names goals "$endpoint") ;;
                eval)
                    options="--goal --csv --csv-denominator --as-of --json --help" ;;
                *) words="show backtest eval"; options=--help ;;
            esac ;;
        alerts) options="--goal --kind --since --limit $common" ;;
        chart)
            options="-o --output --as-of --metric --labels --window --width
                --height $common"
            [ "$COMP_CWORD" -eq 2 ] && words=$(_watershed_names goals "$endpoint") ;;
        hook)
            if [ "$COMP_CWORD" -eq 2 ]; then
                words='test'; options=--help
            else
                options=$common
            fi ;;
        silence)
            case $sub in
                add)
                    options="--goal --campaign --labels --for --until --reason
                        $common" ;;
                list) options="--all $common" ;;
                expire) options=$common ;;
                *) words="add list expire"; options=--help ;;
            esac ;;
        import)
            options="--metric --labels --type --period --dry-run $common"
            files=1 ;;
        keygen) options="--dir --json --help" ;;
        *) return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        _watershed_reply -W "$options" -- "$cur"
    elif [ "$files" -eq 1 ]; then
        compopt -o filenames 2>/dev/null
        _watershed_reply -f -- "$cur"
    elif [ -n "$words" ]; then
        _watershed_reply -W "$words" -- "$cur"
    fi
    return 0
}

complete -F _watershed watershed
