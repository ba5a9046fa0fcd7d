package dev.jvt.dsl

import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/** `jvt completion bash|zsh`: the script picocli generates, sourced in a real bash, completes jvt's commands and options. */
class CompletionSpec extends Specification {

    /** What bash offers after {@code words} (the last one being completed) with the script sourced. */
    static List<String> complete(Path script, String... words) {
        String quoted = words.collect { "'" + it + "'" }.join(' ')
        String probe = """source '$script' 2>/dev/null
t() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\$#-1)); COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=()
      _complete_jvt jvt "\${COMP_WORDS[-1]}" "\${COMP_WORDS[-2]}" 2>/dev/null; printf '%s\\n' "\${COMPREPLY[@]}"; }
t $quoted
"""
        Process p = new ProcessBuilder('bash', '-c', probe).redirectErrorStream(true).start()
        List<String> out = p.inputStream.text.readLines().findAll()
        assert p.waitFor() == 0
        out
    }

    def "the bash script completes commands, options and benchmark names"() {
        given:
        def r = JvtCli.run('completion', 'bash')
        Path script = Files.createTempFile('jvt-completion-', '.bash')
        script.text = r.out

        expect:
        r.code == 0
        r.out.contains('complete -F _complete_jvt -o default jvt')
        complete(script, 'jvt', 'ru') == ['run']
        complete(script, 'jvt', 're') as Set == ['replay', 'report', 'repl'] as Set
        complete(script, 'jvt', 'run', '--sh') as Set == ['--shard', '--shard-total'] as Set
        complete(script, 'jvt', 'bench', 'sh') == ['shards']
        complete(script, 'jvt', 'completion', '') as Set == ['bash', 'zsh'] as Set

        cleanup:
        Files.deleteIfExists(script)
    }

    def "zsh gets the same script behind bashcompinit; another shell is a usage error"() {
        when:
        def zsh = JvtCli.run('completion', 'zsh')
        def fish = JvtCli.run('completion', 'fish')

        then:
        zsh.code == 0
        zsh.out.startsWith('autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n')
        zsh.out.contains('complete -F _complete_jvt -o default jvt')
        fish.code == 2
        fish.err.trim() == "jvt completion: 'fish' is not a shell jvt completes; use bash or zsh"
    }
}
