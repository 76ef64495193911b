# bash completion for kubectl-ds_coverage (printed by `kubectl-ds_coverage completion bash`).
#
# Every answer comes from the binary itself: the script runs
# `kubectl-ds_coverage __complete WORDS... CURRENT`, which answers in the protocol of cobra
# (kubectl's command library): one `value<TAB>description` per line, then `:<directive>`.
# The same engine answers `kubectl ds-coverage <TAB>` through the kubectl_complete-ds_coverage
# shim. Works with and without the bash-completion package.

_kubectl_ds_coverage() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        # Join `--flag=value` and `a:b` back into one word, as typed.
        _get_comp_words_by_ref -n =: cur words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        # Without bash-completion, COMP_WORDBREAKS splits `--output=js` into three words.
        if [[ $cword -ge 2 && ${words[cword-1]} == "=" ]]; then
            cur="${words[cword-2]}=$cur"
            words=("${words[@]:0:cword-2}" "$cur")
            cword=$((cword - 2))
        elif [[ ${words[cword]} == "=" ]]; then
            cur="${words[cword-1]}="
            words=("${words[@]:0:cword-1}" "$cur")
            cword=$((cword - 1))
        fi
    fi

    local out
    out=$("${words[0]}" __complete "${words[@]:1:cword-1}" "$cur" 2>/dev/null) || return
    local directive=${out##*:}
    local -a values=()
    local line
    while IFS= read -r line; do
        [[ $line == :* ]] && continue
        values+=("${line%%$'\t'*}")
    done <<<"$out"

    # `--flag=pre`: the answers are bare values. Bash replaces only the part after `=` when
    # `=` is a word break (the default); otherwise put the flag back in front.
    if [[ $cur == -*=* && $COMP_WORDBREAKS != *=* ]]; then
        values=("${values[@]/#/${cur%%=*}=}")
    fi
    COMPREPLY=("${values[@]}")
    if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
        __ltrim_colon_completions "$cur"
    fi
    # Cobra's directives: 2 no space after the word, 4 no file names.
    if (( (directive & 2) != 0 )); then
        compopt -o nospace 2>/dev/null
    fi
    if (( ${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
        compopt -o default 2>/dev/null
    fi
}

complete -o noquote -F _kubectl_ds_coverage kubectl-ds_coverage
