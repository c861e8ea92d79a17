package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func newCompletionCmd(stdio *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `completion prints a script that teaches your shell dlc's commands, flags and
flag values (--format text|json, model files for --model, YAML files for
--config). Load it once per session, or install it:

  bash  source <(dlc completion bash)      # needs the bash-completion package
        dlc completion bash > /etc/bash_completion.d/dlc
  zsh   dlc completion zsh > "${fpath[1]}/_dlc"   # then start a new shell
  fish  dlc completion fish > ~/.config/fish/completions/dlc.fish
  powershell  dlc completion powershell | Out-String | Invoke-Expression`,
		Example: `  source <(dlc completion bash)
  dlc completion zsh > "${fpath[1]}/_dlc"
  dlc completion fish > ~/.config/fish/completions/dlc.fish`,
		ValidArgs: completionShells,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(completionShells, args[0]) {
				return usageErrorf("dlc completion takes one shell: %s; see dlc completion --help", strings.Join(completionShells, ", "))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(stdio.Out, true)
			case "zsh":
				return root.GenZshCompletion(stdio.Out)
			case "fish":
				return root.GenFishCompletion(stdio.Out, true)
			}
			return root.GenPowerShellCompletionWithDesc(stdio.Out)
		},
	}
}
