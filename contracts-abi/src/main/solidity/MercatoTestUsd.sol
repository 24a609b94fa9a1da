// SPDX-License-Identifier: MIT
//
// Mercato Test USD (mUSDC): a stand-in for USDC on LOCAL CHAINS ONLY (anvil, chain id 31337).
// Anyone can mint any amount, so it is worthless by design and must never be deployed to a
// public network. It has USDC's 6 decimals and plain ERC-20 behaviour, so the gateway's deposit
// scanner and payout worker run against it exactly as they would against the real token.
pragma solidity 0.8.37;

contract MercatoTestUsd {
    string public constant name = "Mercato Test USD";
    string public constant symbol = "mUSDC";
    uint8 public constant decimals = 6;

    uint256 public totalSupply;
    mapping(address => uint256) private balances;
    mapping(address => mapping(address => uint256)) private allowances;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    // Written out rather than public mappings so the ABI names the parameters.
    function balanceOf(address account) external view returns (uint256) {
        return balances[account];
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return allowances[owner][spender];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        require(spender != address(0), "mUSDC: approve to the zero address");
        allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowances[from][msg.sender];
        // An allowance of 2^256-1 is the conventional "unlimited" and is never decremented.
        if (allowed != type(uint256).max) {
            require(allowed >= value, "mUSDC: insufficient allowance");
            unchecked {
                allowances[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    // Open to every caller: on a local chain any test or demo funds its own accounts.
    function mint(address to, uint256 amount) external {
        require(to != address(0), "mUSDC: mint to the zero address");
        totalSupply += amount;
        unchecked {
            // Cannot overflow: no balance exceeds totalSupply, which the checked add above bounds.
            balances[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "mUSDC: transfer to the zero address");
        uint256 balance = balances[from];
        require(balance >= value, "mUSDC: transfer amount exceeds balance");
        unchecked {
            // Cannot underflow (checked above) nor overflow (the sum of balances is totalSupply).
            balances[from] = balance - value;
            balances[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
