// expect 2 at line 4: boom
scenario('a script that throws while it loads') {
    machine('box')
    throw new IllegalStateException('boom')
}
