// expect 2 at line 4: unable to resolve class NoSuchHelper
scenario('a class that is not there') {
    machine('box')
    def h = new NoSuchHelper()
}
