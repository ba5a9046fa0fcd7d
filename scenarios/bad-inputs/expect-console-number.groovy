// expect 2 at line 4: expectConsole takes a regex \(~/\.\.\./\) or text, not Integer
scenario('a number as a console pattern') {
    machine('box') {
        expectConsole 42
    }
}
