from platocr.cli import main

main()
