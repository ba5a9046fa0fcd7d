// failOn stops the scenario the moment its pattern appears on the console.
scenario('failOn stops the scenario') {
    machine('box') {
        failOn ~/BOOM-[0-9]+/
    }

    test('the guest prints the failure pattern') {
        box.succeed 'echo BOOM-42 > /dev/console'
        box.succeed 'sleep 30'            // never finishes: failOn interrupts it
    }

    test('is not run after failOn') {
        box.succeed 'true'
    }
}
