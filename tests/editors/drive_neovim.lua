-- Drives fxlens in headless Neovim (0.7+) through its built-in LSP client and writes what it saw
-- as JSON. Environment: FXLENS_SERVER_CMD (a JSON list), FXLENS_WORKSPACE, FXLENS_SCRIPT,
-- FXLENS_RESULT, FXLENS_TIMEOUT_MS. The pytest side (test_neovim.py) asserts on the JSON.

local timeout = tonumber(os.getenv("FXLENS_TIMEOUT_MS"))
local result = { steps = {} }

local function step(name)
  table.insert(result.steps, name)
end

local function write_result()
  local file = assert(io.open(os.getenv("FXLENS_RESULT"), "w"))
  file:write(vim.fn.json_encode(result))
  file:close()
end

-- The position (0-based line, UTF-16 character) just after the first `needle` in the buffer.
local function position_after(bufnr, needle)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local start = line:find(needle, 1, true)
    if start then
      return { line = index - 1, character = start - 1 + #needle }
    end
  end
  error("not in the buffer: " .. needle)
end

local function request(bufnr, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout)
  assert(responses, method .. ": " .. tostring(err))
  for _, response in pairs(responses) do
    assert(response.err == nil, method .. ": " .. vim.inspect(response.err))
    return response.result
  end
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("FXLENS_SCRIPT")))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "python"

  local client_id = vim.lsp.start_client({
    name = "fxlens",
    cmd = vim.fn.json_decode(os.getenv("FXLENS_SERVER_CMD")),
    root_dir = os.getenv("FXLENS_WORKSPACE"),
    init_options = { executeCode = true },
  })
  assert(client_id, "vim.lsp.start_client returned nil")
  vim.lsp.buf_attach_client(bufnr, client_id)
  assert(vim.wait(timeout, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized
  end, 50), "the server did not initialize")
  step("initialized")
  result.trigger_characters = vim.lsp.get_client_by_id(client_id).server_capabilities.completionProvider.triggerCharacters

  -- Diagnostics are pushed once the model is traced (FXL001 needs the node table).
  local function unknown_node()
    for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
      local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
      if (diagnostic.code or lsp.code) == "FXL001" then
        return true
      end
    end
    return false
  end
  vim.wait(timeout, unknown_node, 100)
  result.diagnostics = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
    table.insert(result.diagnostics, {
      code = diagnostic.code or lsp.code,
      severity = diagnostic.severity,
      message = diagnostic.message,
      lnum = diagnostic.lnum,
      col = diagnostic.col,
      source = diagnostic.source,
    })
  end
  step("diagnostics")

  -- Completion inside `"layer1.` of the first node string.
  local position = position_after(bufnr, '"layer1.')
  local completion = request(bufnr, "textDocument/completion", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = position,
    context = { triggerKind = 2, triggerCharacter = "." },
  })
  local items = completion and (completion.items or completion) or {}
  result.completion_labels = {}
  for _, item in ipairs(items) do
    table.insert(result.completion_labels, item.label)
  end
  result.completion_incomplete = completion and completion.isIncomplete or false
  step("completion")

  local hover = request(bufnr, "textDocument/hover", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = position_after(bufnr, '"layer1.0.re'),
  })
  result.hover = hover and hover.contents or vim.NIL
  step("hover")

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end

local ok, err = pcall(run)
if not ok then
  result.error = tostring(err)
end
write_result()
vim.cmd(ok and "qall!" or "cquit! 1")
