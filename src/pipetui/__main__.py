from pipetui.cli import main

main()
