"""documents: chunks of whole documents, bad UTF-8, sentence and document offsets."""

import numpy as np

from bert_tf.data_prep import documents


def test_chunks_end_at_the_first_blank_line_after_the_size(tmp_path):
    path = tmp_path / "text.txt"
    # Lines of 10 bytes; documents of 2, 3, 1 and 2 lines.
    path.write_bytes(
        b"aaaaaaaaa\nbbbbbbbbb\n\nccccccccc\nddddddddd\neeeeeeeee\n\nfffffffff\n\n"
        b"ggggggggg\nhhhhhhhhh\n"
    )
    chunks = list(documents.read_chunks(str(path), chunk_bytes=20))
    # 21 bytes read at the first blank line (>= 20): cut; 31 at the next one: cut; 11 at the
    # third: too few, so the last chunk runs to the end of the file.
    assert [c.lines for c in chunks] == [
        ["aaaaaaaaa", "bbbbbbbbb"],
        ["ccccccccc", "ddddddddd", "eeeeeeeee"],
        ["fffffffff", "ggggggggg", "hhhhhhhhh"],
    ]
    assert [c.num_lines for c in chunks] == [3, 4, 4]
    assert sum(c.num_bytes for c in chunks) == path.stat().st_size
    first, second, third = chunks[2].document_ids
    assert first != second == third  # "fffffffff" is a document of its own
    assert [c.lines for c in documents.read_chunks(str(path), chunk_bytes=1 << 20)] == [
        [chr(ord("a") + i) * 9 for i in range(8)]
    ]


def test_bad_utf8_is_counted_and_replaced(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok line\n\xff\xfe bad\n")
    (chunk,) = documents.read_chunks(str(path), chunk_bytes=1 << 20)
    assert chunk.num_bad_lines == 1 and chunk.lines == ["ok line", "\ufffd\ufffd bad"]


def test_tokenized_chunk_drops_empty_sentences_and_documents():
    text = documents.TextChunk(["a b", "", "c", "x", "d e f"], [0, 0, 1, 2, 3])
    token_counts = {"a b": 2, "": 0, "c": 1, "x": 0, "d e f": 3}  # "x" tokenizes to nothing

    def tokenize_lines(lines):
        lengths = np.array([token_counts[line] for line in lines])
        return np.arange(lengths.sum(), dtype=np.int32), lengths

    chunk = documents.tokenize_chunk(text, tokenize_lines)
    assert chunk.sentence_starts.tolist() == [0, 2, 3, 6]
    # Document 2 (only "x") has no tokens left, so it is gone.
    assert chunk.document_starts.tolist() == [0, 1, 2, 3] and chunk.num_documents == 3


def test_lines_not_utf8_are_counted_as_read_chunks_counts_them_across_blocks(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("héllo\nwörld\n\n".encode() + b"bad \xff\n" * 3 + "last é".encode())
    chunks = list(documents.read_chunks(str(path), 1 << 20))
    expected = (sum(c.num_lines for c in chunks), sum(c.num_bad_lines for c in chunks))
    assert expected == (7, 3)
    for block_bytes in (1, 3, 7, 1 << 20):
        assert documents.count_lines_not_utf8(str(path), block_bytes) == expected
