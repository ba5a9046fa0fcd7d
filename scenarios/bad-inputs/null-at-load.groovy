// expect 2 at line 4: Cannot invoke method trim\(\) on null object
def name = null
scenario('a null dereferenced while loading') {
    machine(name.trim())
}
