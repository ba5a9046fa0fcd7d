// expect 2 at line 2: recurs
def deeper(int n) { deeper(n + 1) }
scenario('a script that recurses without end') {
    machine('box')
    deeper(0)
}
