import {Args} from '@oclif/core'

import {MailroomCommand} from '../cli/base-command.js'
import {SHELLS, completionScript} from '../cli/completion-scripts.js'

export default class Completion extends MailroomCommand {
  static override description = `Print the shell completion script for bash, zsh or fish (commands, flags, flag values, broker prefixes, context names)

Install it once:
  bash  echo 'eval "$(mailroom completion bash)"' >> ~/.bashrc
  zsh   echo 'eval "$(mailroom completion zsh)"' >> ~/.zshrc    (after compinit)
  fish  mailroom completion fish > ~/.config/fish/completions/mailroom.fish
Then open a new shell.`

  static override enableJsonFlag = false
  static override examples = ['<%= config.bin %> completion bash', 'eval "$(<%= config.bin %> completion zsh)"']
  static override args = {
    shell: Args.string({description: 'The shell', options: SHELLS, required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    process.stdout.write(completionScript(args.shell as (typeof SHELLS)[number]))
  }
}
