// expect 2 at line 2: wrong arguments for 'scenario': \(String\)
scenario('no body')
