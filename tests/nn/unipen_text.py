"""A made-up UNIPEN pen-digits text, the same bytes on every machine (a plain LCG, no NumPy)."""


def unipen_text(writers=40, digits_each=10, seed=1):
    state = seed
    lines = [".INCLUDE        dene.doc", "", '.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"',
             ".HIERARCHY      DIGIT", ""]
    for writer in range(1, writers + 1):
        for index in range(digits_each):
            label = index % 10
            lines += [f'.SEGMENT DIGIT {index} ? "{label}"', f".COMMENT {label} {writer}  {index}"]
            for _stroke in range(1 + index % 2):
                lines.append(".PEN_DOWN")
                for _point in range(8 + index):
                    state = (state * 1103515245 + 12345) % 2**31
                    lines.append(f" {100 + state % 300:3d}  {100 + (state >> 9) % 300:3d}")
                lines += [".PEN_UP", ".DT 100"]
            lines.append("")
    return "\n".join(lines) + "\n"
