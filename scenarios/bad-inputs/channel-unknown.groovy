// expect 2 at line 4: channel 'telnet' is not one of agent, qga, ssh, console
scenario('unknown channel') {
    machine('box') {
        channel 'telnet'
    }
}
