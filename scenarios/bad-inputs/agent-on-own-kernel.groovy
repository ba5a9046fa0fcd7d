// expect 2 at line 3: machine 'box': channel 'agent' needs the built-in guest
scenario('the agent on a kernel of its own') {
    machine('box') {
        kernel 'agent-on-own-kernel.groovy'
        channel 'agent'
    }
}
