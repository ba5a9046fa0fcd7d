// expect 2 at line 4: expectConsole takes a regex \(~/\.\.\./\) or text, not Closure
scenario('a closure as a console pattern') {
    machine('box') {
        expectConsole { it.contains('login:') }
    }
}
