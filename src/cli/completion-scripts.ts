// The scripts `mailroom completion <shell>` prints. Each asks `mailroom __complete` for the candidates, so they
// never go stale when commands or contexts change.
import type {Shell} from './complete.js'

export const SHELLS: Shell[] = ['bash', 'zsh', 'fish']

const BASH = String.raw`# mailroom completion for bash: eval "$(mailroom completion bash)"
_mailroom_complete() {
  local IFS=$'\n'
  COMPREPLY=($(mailroom __complete bash "${'$'}{COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  # A broker prefix (kafka:) is completed further, not ended with a space.
  if [[ ${'$'}{#COMPREPLY[@]} -eq 1 && ${'$'}{COMPREPLY[0]} == *: ]]; then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -o default -F _mailroom_complete mailroom
`

const ZSH = String.raw`#compdef mailroom
# mailroom completion for zsh: eval "$(mailroom completion zsh)", or save it as _mailroom in a directory of $fpath
_mailroom() {
  local -a all prefixes others
  all=(${'$'}{(f)"$(mailroom __complete zsh "${'$'}{(@)words[2,CURRENT]}" 2>/dev/null)"})
  prefixes=(${'$'}{(M)all:#*:})
  others=(${'$'}{all:#*:})
  (( ${'$'}{#others} )) && compadd -- "${'$'}{others[@]}"
  (( ${'$'}{#prefixes} )) && compadd -S '' -- "${'$'}{prefixes[@]}"
  (( ${'$'}{#all} )) || _files
}
if (( $+functions[compdef] )); then compdef _mailroom mailroom; fi
`

const FISH = String.raw`# mailroom completion for fish: mailroom completion fish > ~/.config/fish/completions/mailroom.fish
complete -c mailroom -f -a '(mailroom __complete fish (commandline -opc)[2..-1] (commandline -ct))'
`

export function completionScript(shell: Shell): string {
  return {bash: BASH, zsh: ZSH, fish: FISH}[shell]
}
