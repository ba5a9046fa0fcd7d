// expect 2 at line 3: 'machine' needs an argument .*it takes machine\(String\) or machine\(String, Closure\)
scenario('a machine without a name') {
    machine()
}
