"""The worker channel: length-prefixed JSON frames that survive any payload and reject garbage."""

from __future__ import annotations

import os

import pytest
from fxlens.worker.protocol import ProtocolError, encode, read_message, write_message


@pytest.fixture
def pipe():
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def test_messages_arrive_whole_and_in_order(pipe):
    read_end, write_end = pipe
    sent = [{"type": "phase", "phase": "import"}, {"type": "result", "text": "line\nbreak ✓ \x00"}]
    for message in sent:
        write_message(write_end, message)
    os.close(write_end)
    assert [read_message(read_end), read_message(read_end)] == sent
    assert read_message(read_end) is None  # end of stream between frames


def test_a_frame_larger_than_the_pipe_buffer_is_written_completely(pipe):
    read_end, write_end = pipe
    message = {"type": "result", "blob": "x" * (1 << 20)}
    if os.fork() == 0:  # the reader must drain while the writer blocks
        os.close(read_end)
        write_message(write_end, message)
        os._exit(0)
    os.close(write_end)
    assert read_message(read_end) == message
    os.wait()


def test_text_that_is_not_a_frame_is_rejected(pipe):
    read_end, write_end = pipe
    os.write(write_end, b"hello from print()\n")
    with pytest.raises(ProtocolError):
        read_message(read_end)


def test_a_frame_cut_short_is_an_error_not_an_end(pipe):
    read_end, write_end = pipe
    os.write(write_end, encode({"type": "result"})[:-3])
    os.close(write_end)
    with pytest.raises(ProtocolError):
        read_message(read_end)


def test_json_without_a_type_is_not_a_message(pipe):
    read_end, write_end = pipe
    body = b"[1, 2]"
    os.write(write_end, len(body).to_bytes(4, "big") + body)
    with pytest.raises(ProtocolError):
        read_message(read_end)
