-- Argo CD health check for scb-operator.io SecureConnectionBundle and CassandraClusterRef.
-- Reads the kstatus conditions the operator writes: Ready is always present, Reconciling and
-- Stalled only while true, and each carries observedGeneration. Argo CD runs this with
-- gopher-lua (Lua 5.1), so it uses nothing newer; tests run it with Lua 5.1 and 5.4.
local hs = {}

local function findCondition(conditions, conditionType)
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition)
  local text = condition.reason or ""
  if condition.message ~= nil and condition.message ~= "" then
    text = text .. ": " .. condition.message
  end
  return text
end

local status = obj.status
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

-- A status written for an older spec says nothing about the current one.
local generation = obj.metadata.generation
local ready = findCondition(status.conditions, "Ready")
if generation ~= nil then
  local behind = status.observedGeneration == nil or status.observedGeneration < generation
  if ready ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration < generation then
    behind = true
  end
  if behind then
    hs.status = "Progressing"
    hs.message = string.format("Waiting for the operator to observe generation %d", generation)
    return hs
  end
end

local stalled = findCondition(status.conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

-- Only SecureConnectionBundle has spec.suspend.
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: no new versions are issued until it is removed"
  return hs
end

local reconciling = findCondition(status.conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end

if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
else
  -- Not ready and not working on it: a failure the message explains.
  hs.status = "Degraded"
end
hs.message = describe(ready)
return hs
